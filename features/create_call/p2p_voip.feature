@v1 @p2p
Feature: Peer-to-peer VoIP call (v1.0 Create call, examples 1 and 2)
  The bot calls a single Teams user ("John") through POST /v1.0/communications/calls.
  In example 1 the service hosts the media, in example 2 the application does.
  A peer-to-peer call gets call-state notifications only: establishing, established, then an
  update with the media active.

  Scenario: Example 1 - peer-to-peer VoIP call with service-hosted media
    Given the app has the permissions "Calls.Initiate.All"
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the response header "Content-Type" matches "#regex application/json.*"
    And the response matches "responses/v1/call-establishing.yaml"
    And the response matches "responses/common/app-source.yaml"
    And the response matches "responses/common/unset-call-extras.yaml"
    And the response has:
      | path                                 | value                                       |
      | tenantId                             | "${tenant_id}"                              |
      | id                                   | #not 112f7296-5fa4-42ca-bae8-6a692b15d4b8   |
      | callbackUri                          | https://bot.contoso.com/callback            |
      | targets[0].identity.user.id          | 112f7296-5fa4-42ca-bae8-6a692b15d4b8        |
      | targets[0].identity.user.displayName | John                                        |
      | requestedModalities                  | [audio]                                     |
      | mediaConfig["@odata.type"]           | "#microsoft.graph.serviceHostedMediaConfig" |
    # The v1.0 page's notification examples show callbackUri and resourceData.id on every item
    # and direction on establishing; real traffic (tests/fixtures/captures, P2P/SimpleTest) has
    # resource and resourceUrl, no callbackUri, no id, direction only on established, and a
    # mediaState update after it. The stand-in follows real traffic.
    And the bot receives notifications in order:
      | changeType | resource              | resourceUrl                      | callbackUri   | resourceData["@odata.type"] | resourceData.id | resourceData.state | resourceData.direction | resourceData.mediaState.audio |
      | updated    | /app/calls/${call.id} | /communications/calls/${call.id} | "#notpresent" | "#microsoft.graph.call"     | "#notpresent"   | establishing       | "#notpresent"          |                               |
      | updated    | /app/calls/${call.id} | /communications/calls/${call.id} | "#notpresent" | "#microsoft.graph.call"     | "#notpresent"   | established        | outgoing               |                               |
      | updated    | /app/calls/${call.id} | /communications/calls/${call.id} | "#notpresent" | "#microsoft.graph.call"     | "#notpresent"   | established        | "#notpresent"          | active                        |
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives no further notifications within 500 ms

  Scenario: Example 2 - peer-to-peer VoIP call with application-hosted media, full response
    The whole documented response, with markers for what the service generates: nothing else
    may appear in the body.

    Given the app has the permissions "Calls.Initiate.All, Calls.AccessMedia.All"
    And a call request from template "v1/p2p-voip-app-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the response header "request-id" matches "#uuid"
    And the response header "client-request-id" matches "#uuid"
    And the response matches exactly:
      """
      "@odata.type": "#microsoft.graph.call"
      "@odata.context": "#regex https?://.+/v1[.]0/[$]metadata#app/calls/[$]entity"
      id: "#uuid"
      state: establishing
      direction: outgoing
      callbackUri: https://bot.contoso.com/callback
      callChainId: "#uuid"
      myParticipantId: "#uuid"
      tenantId: "${tenant_id}"
      source:
        "@odata.type": "#microsoft.graph.participantInfo"
        identity:
          "@odata.type": "#microsoft.graph.identitySet"
          application:
            "@odata.type": "#microsoft.graph.identity"
            displayName: Calling Bot
            id: 2891555a-92ff-42e6-80fa-6e1300c6b5c6
        region: null
        languageId: null
      targets:
        - "@odata.type": "#microsoft.graph.invitationParticipantInfo"
          identity:
            "@odata.type": "#microsoft.graph.identitySet"
            user:
              "@odata.type": "#microsoft.graph.identity"
              displayName: John
              id: 112f7296-5fa4-42ca-bae8-6a692b15d4b8
          endpointType: null
          replacesCallId: null
          region: null
          languageId: null
      requestedModalities:
        - audio
      mediaConfig:
        "@odata.type": "#microsoft.graph.appHostedMediaConfig"
        blob: "<Media Session Configuration>"
      # The current v1.0 page's responses add these (the 2021 page did not show them).
      callRoutes: []
      activeModalities: []
      routingPolicies: []
      terminationReason: null
      meetingCapability: null
      subject: null
      ringingTimeoutInSeconds: null
      mediaState: "#ignore"
      resultInfo: null
      answeredBy: null
      chatInfo: null
      meetingInfo: null
      transcription: null
      toneInfo: null
      """
    # The v1.0 page's notification examples show callbackUri and resourceData.id on every item
    # and direction on establishing; real traffic (tests/fixtures/captures, P2P/SimpleTest) has
    # resource and resourceUrl, no callbackUri, no id, direction only on established, and a
    # mediaState update after it. The stand-in follows real traffic.
    And the bot receives notifications in order from "notifications/v1/p2p-connected.yaml"
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives no further notifications within 500 ms

  Scenario: Example 1 with the callback pointed at the scenario's own inbox
    Given the app has the permissions "Calls.Initiate.All"
    And a call request from template "v1/p2p-voip-own-callback"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the response matches "responses/v1/call-establishing.yaml"
    And the response has:
      | path                        | value                                |
      | callbackUri                 | "${callback_uri}"                    |
      | targets[0].identity.user.id | 112f7296-5fa4-42ca-bae8-6a692b15d4b8 |
    And the bot receives notifications in order from "notifications/v1/p2p-connected.yaml"
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives no further notifications within 500 ms

  @beta
  Scenario: Example 1 posted to the beta endpoint /beta/communications/calls
    The same body works on beta; the call is then addressed under /beta/ and notifications
    keep the v1.0 shape.

    Given the app has the permissions "Calls.Initiate.All"
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call on "/beta/communications/calls"
    Then the response status is 201
    And the response header "Location" is "${graph}/beta/communications/calls/${call.id}"
    And the response matches "responses/beta/call-establishing.yaml"
    And the response matches "responses/common/app-source.yaml"
    And the response has:
      | path                                 | value                                |
      | callbackUri                          | https://bot.contoso.com/callback     |
      | targets[0].identity.user.id          | 112f7296-5fa4-42ca-bae8-6a692b15d4b8 |
      | targets[0].identity.user.displayName | John                                 |
    And the bot receives notifications in order:
      | changeType | resourceUrl                      | resource              | resourceData.state | resourceData.direction |
      | updated    | /communications/calls/${call.id} | /app/calls/${call.id} | establishing       | "#notpresent"          |
      | updated    | /communications/calls/${call.id} | /app/calls/${call.id} | established        | outgoing               |
      | updated    | /communications/calls/${call.id} | /app/calls/${call.id} | established        | "#notpresent"          |
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives no further notifications within 500 ms
