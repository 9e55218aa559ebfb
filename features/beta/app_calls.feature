@beta
Feature: Create call on the beta endpoint POST /beta/app/calls
  The beta Create call page (2019): peer-to-peer VoIP calls with service-hosted and with
  application-hosted media, and a group call with a Teams user and a phone number.
  The beta bodies carry no "@odata.type" on the call; the service adds it. The Location
  names the path used, /beta/app/calls/{id}, as the beta pages' Location headers do (the call
  is under /communications/calls too). The 2019 page's notifications name it by
  `resource` (/app/calls/{id}) with an "@odata.id" and an "@odata.etag" and no resourceUrl;
  real traffic (tests/fixtures/captures) carries both `resource` and `resourceUrl`, no
  "@odata.id" nor etag, whichever path created the call. The stand-in follows real traffic.
  The service signs each notification with a bearer token.

  @p2p
  Scenario: Peer-to-peer VoIP call with service-hosted media
    Given the app has the permissions "Calls.Initiate.All"
    And a call request from template "beta/p2p-service-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/beta/app/calls/${call.id}"
    And the response header "request-id" matches "#uuid"
    And the response matches "responses/beta/call-establishing.yaml"
    And the response matches:
      """
      callbackUri: https://bot.contoso.com/api/calls
      mediaConfig:
        "@odata.type": "#microsoft.graph.serviceHostedMediaConfig"
        preFetchMedia:
          - uri: https://cdn.contoso.com/beep.wav
            resourceId: 1D6DE2D4-CD51-4309-8DAA-70768651088E
          - uri: https://cdn.contoso.com/cool.wav
            resourceId: 1D6DE2D4-CD51-4309-8DAA-70768651088F
      source:
        identity:
          application:
            id: 8A34A46B-3D17-4ADC-8DCE-DC4E7D572698
        languageId: languageId-value
        region: region-value
      subject: Test Call
      targets:
        - identity:
            user:
              id: 550fae72-d251-43ec-868c-373732c2704f
              tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
              displayName: Heidi Steen
      tenantId: tenantId-value
      chatInfo: "#null"
      meetingInfo: "#null"
      """
    And the bot receives notifications in order:
      | changeType | resource              | resourceUrl                      | resourceData["@odata.type"] | resourceData["@odata.id"] | resourceData.state | resourceData.direction | resourceData.mediaState.audio |
      | updated    | /app/calls/${call.id} | /communications/calls/${call.id} | "#microsoft.graph.call"     | "#notpresent"             | establishing       | "#notpresent"          |                               |
      | updated    | /app/calls/${call.id} | /communications/calls/${call.id} | "#microsoft.graph.call"     | "#notpresent"             | established        | outgoing               |                               |
      | updated    | /app/calls/${call.id} | /communications/calls/${call.id} | "#microsoft.graph.call"     | "#notpresent"             | established        | "#notpresent"          | active                        |
    And every notification has the header "Authorization" matching "#regex Bearer .+"
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives no further notifications within 500 ms

  @p2p
  Scenario: Peer-to-peer VoIP call with application-hosted media
    Given the app has the permissions "Calls.Initiate.All, Calls.AccessMedia.All"
    And a call request from template "beta/p2p-app-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/beta/app/calls/${call.id}"
    And the response matches "responses/beta/call-establishing.yaml"
    And the response has:
      | path                                    | value                                   |
      | callbackUri                             | https://bot.contoso.com/api/calls       |
      | mediaConfig["@odata.type"]              | "#microsoft.graph.appHostedMediaConfig" |
      | mediaConfig.blob                        | "<media config blob>"                   |
      | requestedModalities                     | [audio]                                 |
      | source.identity.application.displayName | IT Bot                                  |
      | source.identity.application.id          | 550fae72-d251-43ec-868c-373732c2704f    |
      | targets[0].identity.user.displayName    | Heidi Steen                             |
      | subject                                 | Test Call                               |
      | tenantId                                | tenantId-value                          |
    And the bot receives notifications in order:
      | changeType | resource              | resourceData.state | resourceData.direction | resourceData["@odata.etag"] |
      | updated    | /app/calls/${call.id} | establishing       | "#notpresent"          | "#notpresent"               |
      | updated    | /app/calls/${call.id} | established        | outgoing               | "#notpresent"               |
      | updated    | /app/calls/${call.id} | established        | "#notpresent"          | "#notpresent"               |
    And every notification has the header "Authorization" matching "#regex Bearer .+"
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives no further notifications within 500 ms

  @group
  Scenario: Group call with service-hosted media
    The documented permissions for this example are Calls.InitiateGroupCall.All and
    Calls.AccessMedia.All. The body carries the chat thread of the group call but no meeting.
    As in real group calls (captures GroupCalls/*), a roster of the bot alone follows
    established, then one as each target joins (the user, then the phone).

    Given the app has the permissions "Calls.InitiateGroupCall.All, Calls.AccessMedia.All"
    And a call request from template "beta/group-call"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/beta/app/calls/${call.id}"
    And the response matches "responses/beta/call-establishing.yaml"
    And the response matches:
      """
      subject: Test Call
      callbackUri: https://bot.contoso.com/api/calls
      tenantId: "${tenant_id}"
      source:
        identity:
          application:
            id: 8A34A46B-3D17-4ADC-8DCE-DC4E7D572698
      targets:
        - identity:
            user:
              id: 29362BD4-CD58-4ED0-A206-0E4A33DBB0B6
              displayName: Heidi Steen
        - identity:
            phone:
              displayName: "+12345678890"
              id: "+12345678890"
      requestedModalities:
        - audio
        - video
      chatInfo:
        threadId: "19:meeting_NTg0NmQ3NTctZDVkZC00YzRhLThmNmEtOGQ3M2E0ODdmZDZk@thread.v2"
        messageId: "0"
        replyChainMessageId: null
      meetingInfo: "#null"
      """
    And the bot receives notifications in order:
      | changeType | resource                           | resourceData.state | resourceData[0].info.identity.user.displayName | resourceData[1].info.identity.phone.id | resourceData[2].id        |
      | updated    | /app/calls/${call.id}              | establishing       |                                                |                                        |                           |
      | updated    | /app/calls/${call.id}              | established        |                                                |                                        |                           |
      | updated    | /app/calls/${call.id}/participants |                    |                                                |                                        |                           |
      | updated    | /app/calls/${call.id}/participants |                    | Heidi Steen                                    |                                        |                           |
      | updated    | /app/calls/${call.id}/participants |                    | Heidi Steen                                    | "+12345678890"                         | "${call.myParticipantId}" |
    And the bot receives no further notifications within 500 ms
