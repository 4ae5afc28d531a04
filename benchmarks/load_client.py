"""A protocol-level Streamlit client: one object = one browser tab's session, without the browser.

It speaks the app's own websocket (`/_stcore/stream`) with Streamlit's protobuf messages, as the
frontend does: a `BackMsg.rerun_script` carries the ClientState (page script hash, query string,
widget states), and the server answers with ForwardMsgs (new_session, deltas with the page's
elements, navigation, page_info_changed, ...) up to `script_finished`. A run is timed from the
request to that last message. Exceptions the page shows (Element.exception) and error alerts are
collected per run; so are the widgets, so a caller can change a filter the way a user does
(a multiselect's state is its chosen options' labels), click a button (a trigger value) or upload
a file (file_urls_request, an HTTP PUT, then the uploader's state).

Checked against the installed Streamlit's streamlit.proto modules (1.67), not from memory.
"""

from __future__ import annotations

import asyncio
import http.client
import threading
import time
import urllib.parse
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Common_pb2 import FileUploaderState, StringArray, UploadedFileInfo
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

FINISHED = ForwardMsg.ScriptFinishedStatus
# A run that ends for a rerun (st.rerun, or a newer request) is followed by the run it made way for.
FINAL_STATUSES = (FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_WITH_COMPILE_ERROR)
XSRF_COOKIE = "_streamlit_xsrf"
T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: the caller's thread may already run an event loop
    (Playwright's sync API keeps one in the test process), and asyncio.run refuses to nest."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as error:  # handed back to the caller below
            outcome["error"] = error

    thread = threading.Thread(target=work, name="load-client")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


class ProtocolError(RuntimeError):
    """The server did something a browser tab would not accept (timeout, closed socket, ...)."""


@dataclass
class Run:
    """What one script run sent back."""

    page: str
    seconds: float
    elements: list[Element] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    error_alerts: list[str] = field(default_factory=list)
    compile_error: bool = False

    def widgets(self, kind: str) -> dict[str, Any]:
        """The run's widgets of one kind ("multiselect", "button", ...) by label (last wins)."""
        found: dict[str, Any] = {}
        for element in self.elements:
            if element.WhichOneof("type") == kind:
                widget = getattr(element, kind)
                found[widget.label] = widget
        return found

    def texts(self, kind: str) -> list[str]:
        """The text bodies of the run's elements of one kind ("heading", "alert", "markdown")."""
        return [getattr(e, kind).body for e in self.elements if e.WhichOneof("type") == kind]

    def metrics(self) -> dict[str, str]:
        return {e.metric.label: e.metric.body for e in self.elements if e.WhichOneof("type") == "metric"}

    @property
    def ok(self) -> bool:
        return not (self.exceptions or self.compile_error)


def _element_problems(element: Element) -> tuple[str | None, str | None]:
    kind = element.WhichOneof("type")
    if kind == "exception":
        return f"{element.exception.type}: {element.exception.message}", None
    if kind == "alert" and element.alert.format == element.alert.ERROR:
        return None, element.alert.body
    return None, None


class Session:
    """One Streamlit session over one websocket."""

    def __init__(self, base_url: str, *, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.query_string = ""
        self.session_id = ""
        self.pages: dict[str, str] = {}  # url path ("" = the default page) -> page script hash
        self.widget_states: dict[str, WidgetState] = {}
        self._ws: ClientConnection | None = None

    async def __aenter__(self) -> Session:
        ws_url = self.base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._ws = await connect(ws_url, subprotocols=[Subprotocol("streamlit")], max_size=None,
                                 open_timeout=self.timeout, ping_interval=None)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def _send(self, message: BackMsg) -> None:
        if self._ws is None:
            raise ProtocolError("not connected")
        await self._ws.send(message.SerializeToString())

    async def _receive(self, deadline: float) -> ForwardMsg:
        if self._ws is None:
            raise ProtocolError("not connected")
        left = deadline - time.monotonic()
        try:
            data = await asyncio.wait_for(self._ws.recv(), timeout=max(left, 0.001))
        except TimeoutError:
            raise ProtocolError(f"no answer within {self.timeout:.0f} s") from None
        except Exception as error:  # the connection closed under the run
            raise ProtocolError(f"connection lost: {error}") from error
        message = ForwardMsg()
        message.ParseFromString(data if isinstance(data, bytes) else data.encode())
        return message

    async def run(self, page: str = "", *, query_string: str | None = None) -> Run:
        """Run `page` (its URL path; "" for the default page) with the current widget states and
        wait for the run to finish. Trigger values (button clicks) are sent once."""
        if query_string is not None:
            self.query_string = query_string
        state = ClientState(query_string=self.query_string)
        if page in self.pages:
            state.page_script_hash = self.pages[page]
        else:
            state.page_name = page  # before the first run names the pages, the URL path does
        state.widget_states.widgets.extend(self.widget_states.values())
        for key in [k for k, w in self.widget_states.items() if w.WhichOneof("value") == "trigger_value"]:
            del self.widget_states[key]
        started = time.monotonic()
        await self._send(BackMsg(rerun_script=state))
        run = Run(page=page, seconds=0.0)
        deadline = started + self.timeout
        while True:
            message = await self._receive(deadline)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.session_id = message.new_session.initialize.session_id or self.session_id
                run.elements.clear()  # a rerun (st.rerun) starts the page afresh
            elif kind == "navigation":
                for app_page in message.navigation.app_pages:
                    path = "" if app_page.is_default else app_page.url_pathname
                    self.pages[path] = app_page.page_script_hash
                    self.pages.setdefault(app_page.url_pathname, app_page.page_script_hash)
            elif kind == "page_info_changed":
                self.query_string = message.page_info_changed.query_string
            elif kind == "page_not_found":
                run.exceptions.append(f"page not found: {page!r}")
            elif kind == "session_event" and message.session_event.HasField("script_compilation_exception"):
                run.exceptions.append(message.session_event.script_compilation_exception.message)
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                run.elements.append(element)
                exception, alert = _element_problems(element)
                if exception:
                    run.exceptions.append(exception)
                if alert:
                    run.error_alerts.append(alert)
            elif kind == "script_finished" and message.script_finished in FINAL_STATUSES:
                run.compile_error = message.script_finished == FINISHED.FINISHED_WITH_COMPILE_ERROR
                run.seconds = time.monotonic() - started
                return run

    # -- widgets ------------------------------------------------------------------------------
    def choose(self, widget: Any, labels: list[str]) -> None:
        """Set a multiselect to the options shown as `labels` (sent with the next run)."""
        self.widget_states[widget.id] = WidgetState(id=widget.id, string_array_value=StringArray(data=labels))

    def select(self, widget: Any, label: str) -> None:
        """Set a selectbox or radio to the option shown as `label`."""
        self.widget_states[widget.id] = WidgetState(id=widget.id, string_value=label)

    def click(self, button: Any) -> None:
        self.widget_states[button.id] = WidgetState(id=button.id, trigger_value=True)

    async def upload(self, uploader: Any, name: str, data: bytes) -> None:
        """Put a file into a file uploader, as the browser does: ask the server for an upload URL
        over the websocket, PUT the file there, then set the uploader's state (sent with the next
        run)."""
        request_id = uuid.uuid4().hex
        request = BackMsg()
        request.file_urls_request.request_id = request_id
        request.file_urls_request.file_names.append(name)
        request.file_urls_request.session_id = self.session_id
        await self._send(request)
        deadline = time.monotonic() + self.timeout
        while True:
            message = await self._receive(deadline)
            if (message.WhichOneof("type") == "file_urls_response"
                    and message.file_urls_response.response_id == request_id):
                break
        response = message.file_urls_response
        if response.error_msg or not response.file_urls:
            raise ProtocolError(f"upload refused: {response.error_msg or 'no URL'}")
        urls = response.file_urls[0]
        await asyncio.to_thread(self._put, urls.upload_url, name, data)
        info = UploadedFileInfo(name=name, size=len(data), file_id=urls.file_id)
        info.file_urls.CopyFrom(urls)
        self.widget_states[uploader.id] = WidgetState(
            id=uploader.id, file_uploader_state_value=FileUploaderState(uploaded_file_info=[info]))

    def _put(self, upload_url: str, name: str, data: bytes) -> None:
        """HTTP PUT of one file as multipart form data, with the XSRF cookie and header pair."""
        base = urllib.parse.urlsplit(self.base_url)
        target = urllib.parse.urljoin(self.base_url + "/", upload_url.lstrip("/"))
        path = urllib.parse.urlsplit(target).path
        connection = http.client.HTTPConnection(base.hostname or "127.0.0.1", base.port, timeout=self.timeout)
        try:
            connection.request("GET", "/_stcore/health")
            health = connection.getresponse()
            health.read()
            token = ""
            for header in health.headers.get_all("Set-Cookie") or []:
                cookie = header.split(";", 1)[0]
                if cookie.startswith(XSRF_COOKIE + "="):
                    token = cookie.split("=", 1)[1]
            boundary = uuid.uuid4().hex
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n").encode() + data + \
                f"\r\n--{boundary}--\r\n".encode()
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            if token:
                headers |= {"X-Xsrftoken": token, "Cookie": f"{XSRF_COOKIE}={token}"}
            connection.request("PUT", path, body=body, headers=headers)
            answer = connection.getresponse()
            text = answer.read().decode(errors="replace")
            if answer.status >= 300:
                raise ProtocolError(f"upload PUT {path}: HTTP {answer.status} {text[:200]}")
        finally:
            connection.close()
