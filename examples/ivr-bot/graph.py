"""The bot's Graph calls, made with the official Microsoft Graph SDK (msgraph-sdk).

A throttled (429) or unavailable (503) request is retried by the SDK's default middleware
(kiota-http's RetryHandler) after the answer's Retry-After, in seconds or as an HTTP date.

Tokens come from azure-identity's ClientSecretCredential. Pointing both at callspec (or any
other stand-in) takes the authority host, instance discovery off, the Graph base URL on the
request adapter and the Graph host in the auth provider's allowed hosts; nothing else differs
from a bot that talks to Microsoft.
"""

import logging
import ssl
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlparse

import httpx
from azure.identity import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.communications.calls.item.answer.answer_post_request_body import (
    AnswerPostRequestBody,
)
from msgraph.generated.communications.calls.item.play_prompt.play_prompt_post_request_body import (
    PlayPromptPostRequestBody,
)
from msgraph.generated.communications.calls.item.record_response.record_response_post_request_body import (
    RecordResponsePostRequestBody,
)
from msgraph.generated.communications.calls.item.subscribe_to_tone.subscribe_to_tone_post_request_body import (
    SubscribeToTonePostRequestBody,
)
from msgraph.generated.communications.calls.item.update_recording_status.update_recording_status_post_request_body import (
    UpdateRecordingStatusPostRequestBody,
)
from msgraph.generated.communications.calls.item.transfer.transfer_post_request_body import (
    TransferPostRequestBody,
)
from msgraph.generated.models.call import Call
from msgraph.generated.models.identity import Identity
from msgraph.generated.models.identity_set import IdentitySet
from msgraph.generated.models.invitation_participant_info import InvitationParticipantInfo
from msgraph.generated.models.media_info import MediaInfo
from msgraph.generated.models.media_prompt import MediaPrompt
from msgraph.generated.models.modality import Modality
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.recording_status import RecordingStatus
from msgraph.generated.models.service_hosted_media_config import ServiceHostedMediaConfig
from msgraph_core import GraphClientFactory

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
log = logging.getLogger("ivr.graph")


@dataclass
class GraphSettings:
    graph_url: str  # e.g. https://graph.microsoft.com/v1.0
    authority_host: Optional[str]  # None: Microsoft's public cloud
    tenant_id: str
    client_id: str
    client_secret: str
    ca_file: Optional[str]  # extra CA to trust (the stand-in's), None: the system's


class GraphError(Exception):
    """A Graph request that failed, with Graph's status, code and message (never a token)."""


def describe(error: Exception) -> str:
    if isinstance(error, ODataError):
        main = error.error
        code = getattr(main, "code", None) if main else None
        message = getattr(main, "message", None) if main else None
        return f"HTTP {error.response_status_code} {code}: {message}"
    return f"{type(error).__name__}: {error}"


def user_identity(display_name: str, user_id: Optional[str]) -> IdentitySet:
    user = Identity(odata_type="#microsoft.graph.identity", display_name=display_name, id=user_id)
    return IdentitySet(odata_type="#microsoft.graph.identitySet", user=user)


class GraphCalls:
    """The calling requests the IVR makes. Async: run on the bot's one event loop."""

    def __init__(self, settings: GraphSettings, retry_at_once: bool = False):
        if retry_at_once:
            # IVR_BROKEN=ignores-retry-after: the SDK's retry handler retries a throttled request
            # at once instead of after its Retry-After.
            from kiota_http.middleware import RetryHandler

            RetryHandler.get_delay_time = lambda self, *args, **kwargs: 0.0
        options = {}
        if settings.authority_host:
            # The one change a bot makes to be tested: MSAL would otherwise ask
            # login.microsoftonline.com whether the authority host is a known one.
            options = {"authority": settings.authority_host, "disable_instance_discovery": True}
        if settings.ca_file:
            options["connection_verify"] = settings.ca_file
        self.credential = ClientSecretCredential(
            settings.tenant_id, settings.client_id, settings.client_secret, **options
        )
        graph_host = urlparse(settings.graph_url).hostname
        auth = AzureIdentityAuthenticationProvider(
            self.credential, scopes=[GRAPH_SCOPE], allowed_hosts=[graph_host]
        )
        verify = ssl.create_default_context(cafile=settings.ca_file) if settings.ca_file else True
        http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(verify=verify, timeout=httpx.Timeout(30.0, connect=10.0))
        )
        http.base_url = settings.graph_url
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = settings.graph_url
        self.client = GraphServiceClient(request_adapter=adapter)
        self.settings = settings
        # A recording is downloaded with its own access token, not the Graph one: a plain
        # client, so the SDK's auth middleware adds nothing.
        self.downloads = httpx.AsyncClient(verify=verify, timeout=httpx.Timeout(30.0, connect=10.0))

    def check_credentials(self) -> None:
        """Gets a token once at start, so a wrong secret or authority fails the start."""
        self.credential.get_token(GRAPH_SCOPE)

    def warm_up(self) -> None:
        """Builds and parses each request and answer once, without sending anything.

        The SDK imports its generated models lazily, on first use: the first call's playPrompt
        and subscribeToTone would otherwise wait over a second for imports.
        """
        import json

        from kiota_serialization_json.json_parse_node import JsonParseNode
        from msgraph.generated.models.play_prompt_operation import PlayPromptOperation
        from msgraph.generated.models.record_operation import RecordOperation
        from msgraph.generated.models.subscribe_to_tone_operation import SubscribeToToneOperation

        call = self._call("warm-up")
        call.answer.to_post_request_information(AnswerPostRequestBody(
            callback_uri="https://example.com", accepted_modalities=[Modality.Audio],
            media_config=ServiceHostedMediaConfig()))
        prompt = MediaPrompt(media_info=MediaInfo(uri="https://example.com/a.wav"))
        call.play_prompt.to_post_request_information(PlayPromptPostRequestBody(prompts=[prompt]))
        call.subscribe_to_tone.to_post_request_information(SubscribeToTonePostRequestBody())
        call.record_response.to_post_request_information(RecordResponsePostRequestBody(play_beep=True))
        call.participants.by_participant_id("x").to_delete_request_information()
        call.update_recording_status.to_post_request_information(
            UpdateRecordingStatusPostRequestBody(status=RecordingStatus.Recording))
        call.transfer.to_post_request_information(TransferPostRequestBody(
            transfer_target=InvitationParticipantInfo(identity=user_identity("x", None))))
        call.to_delete_request_information()
        self.client.communications.calls.to_post_request_information(Call(tenant_id="x"))
        for model in (PlayPromptOperation, RecordOperation, SubscribeToToneOperation, Call):
            node = JsonParseNode(json.loads('{"id": "x", "status": "running", "state": "establishing"}'))
            node.get_object_value(model)

    def _call(self, call_id: str):
        return self.client.communications.calls.by_call_id(call_id)

    async def answer(self, call_id: str, callback_uri: str) -> None:
        body = AnswerPostRequestBody(
            callback_uri=callback_uri,
            accepted_modalities=[Modality.Audio],
            media_config=ServiceHostedMediaConfig(),
        )
        await self._call(call_id).answer.post(body)

    async def play_prompt(self, call_id: str, uri: str, client_context: str) -> Optional[str]:
        """Starts a prompt; returns the operation's id (its completion arrives as a notification)."""
        prompt = MediaPrompt(media_info=MediaInfo(odata_type="#microsoft.graph.mediaInfo", uri=uri))
        body = PlayPromptPostRequestBody(prompts=[prompt], client_context=client_context)
        operation = await self._call(call_id).play_prompt.post(body)
        return operation.id if operation else None

    async def subscribe_to_tone(self, call_id: str, client_context: str) -> None:
        body = SubscribeToTonePostRequestBody(client_context=client_context)
        await self._call(call_id).subscribe_to_tone.post(body)

    async def transfer(self, call_id: str, display_name: str, user_id: Optional[str]) -> None:
        target = InvitationParticipantInfo(
            odata_type="#microsoft.graph.invitationParticipantInfo",
            identity=user_identity(display_name, user_id),
        )
        await self._call(call_id).transfer.post(TransferPostRequestBody(transfer_target=target))

    async def report_recording(self, call_id: str, client_context: str) -> None:
        """Tells Teams the bot records the call (policy-based recording): a bot may record only
        after this succeeded (call-updaterecordingstatus.md)."""
        body = UpdateRecordingStatusPostRequestBody(
            status=RecordingStatus.Recording, client_context=client_context)
        await self._call(call_id).update_recording_status.post(body)

    async def record_response(self, call_id: str, client_context: str, max_seconds: Optional[int],
                              beep: bool) -> Optional[str]:
        """Records the caller (a voicemail): ends on 2 s of silence after they spoke, on `#`, or
        after `max_seconds`; returns the operation's id (its completion names the recording)."""
        body = RecordResponsePostRequestBody(
            client_context=client_context,
            play_beep=beep,
            initial_silence_timeout_in_seconds=5,
            max_silence_timeout_in_seconds=2,
            max_record_duration_in_seconds=max_seconds,
            stop_tones=["#"],
        )
        operation = await self._call(call_id).record_response.post(body)
        return operation.id if operation else None

    async def download_recording(self, location: str, access_token: Optional[str]) -> bytes:
        """Fetches a finished recording from its recordingLocation (call-record.md): it is served
        only with `Authorization: Bearer {recordingAccessToken}`, and only for a short while."""
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        response = await self.downloads.get(location, headers=headers)
        if response.status_code != 200:
            raise GraphError(f"the recording's download answered HTTP {response.status_code}")
        return response.content

    async def remove_participant(self, call_id: str, participant_id: str) -> None:
        await self._call(call_id).participants.by_participant_id(participant_id).delete()

    async def hang_up(self, call_id: str) -> None:
        await self._call(call_id).delete()

    async def create(self, user_id: str, display_name: Optional[str], callback_uri: str) -> str:
        """Places a peer-to-peer call to a user; returns the new call's id."""
        target = InvitationParticipantInfo(
            odata_type="#microsoft.graph.invitationParticipantInfo",
            identity=user_identity(display_name, user_id),
        )
        call = Call(
            odata_type="#microsoft.graph.call",
            callback_uri=callback_uri,
            targets=[target],
            requested_modalities=[Modality.Audio],
            media_config=ServiceHostedMediaConfig(),
            tenant_id=self.settings.tenant_id,
        )
        created = await self.client.communications.calls.post(call)
        if not created or not created.id:
            raise GraphError("Graph created the call but its answer has no call id")
        return created.id
