@v1 @group
Feature: Group call (v1.0 Create call, examples 3 and 4)
  The bot ("TestBot") starts a group call with two VoIP users, user1 and user2, through
  POST /v1.0/communications/calls, with a subject. In example 3 the service hosts the media,
  in example 4 the application does. The request also sends direction "outgoing", a
  server-generated property the service replaces with its own. A group call the bot creates
  gets establishing, established, a roster of the bot alone, then a roster as each user joins.

  Scenario: Example 3 - group call with service-hosted media
    Given the app has the permissions "Calls.InitiateGroupCall.All"
    And a call request from template "v1/group-call-service-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the response matches "responses/v1/call-establishing.yaml"
    And the response matches:
      """
      subject: Create a group call with service hosted media
      callbackUri: https://bot.contoso.com/callback
      tenantId: "${tenant_id}"
      source:
        identity:
          application:
            displayName: TestBot
            id: dd3885da-f9ab-486b-bfae-85de3d445555
      targets:
        - "@odata.type": "#microsoft.graph.invitationParticipantInfo"
          identity:
            user:
              displayName: user1
              id: 98da8a1a-1b87-452c-a713-65d3f10b5555
        - "@odata.type": "#microsoft.graph.invitationParticipantInfo"
          identity:
            user:
              displayName: user2
              id: bf5aae9a-d11d-47a8-93b1-782504c95555
      requestedModalities:
        - audio
      mediaConfig:
        "@odata.type": "#microsoft.graph.serviceHostedMediaConfig"
        removeFromDefaultAudioGroup: false
      chatInfo: "#null"
      meetingInfo: "#null"
      """
    # The v1.0 page shows establishing and established only; real group calls (captures
    # GroupCalls/GroupCallEstablished.json, GroupCallBotJoin.json, GroupCallUserJoin.json) add a
    # roster of the bot alone, then one as each target joins. The stand-in follows them.
    And the bot receives notifications in order:
      | changeType | resourceUrl                                   | resourceData.state | resourceData.direction | resourceData[0].id        | resourceData[0].info.identity.user.displayName | resourceData[1].info.identity.user.displayName | resourceData[2].id        |
      | updated    | /communications/calls/${call.id}              | establishing       | "#notpresent"          |                           |                                                |                                                |                           |
      | updated    | /communications/calls/${call.id}              | established        | outgoing               |                           |                                                |                                                |                           |
      | updated    | /communications/calls/${call.id}/participants |                    |                        | "${call.myParticipantId}" |                                                |                                                |                           |
      | updated    | /communications/calls/${call.id}/participants |                    |                        |                           | user1                                          |                                                |                           |
      | updated    | /communications/calls/${call.id}/participants |                    |                        |                           | user1                                          | user2                                          | "${call.myParticipantId}" |
    And the bot receives no further notifications within 500 ms

  Scenario: Example 4 - group call with application-hosted media
    Given the app has the permissions "Calls.InitiateGroupCall.All, Calls.AccessMedia.All"
    And a call request from template "v1/group-call-app-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the response matches "responses/v1/call-establishing.yaml"
    And the response has:
      | path                                    | value                                             |
      | subject                                 | Create a group call with application hosted media |
      | source.identity.application.displayName | TestBot                                           |
      | targets                                 | "#array"                                          |
      | targets[0].identity.user.displayName    | user1                                             |
      | targets[1].identity.user.displayName    | user2                                             |
      | mediaConfig["@odata.type"]              | "#microsoft.graph.appHostedMediaConfig"           |
      | mediaConfig.removeFromDefaultAudioGroup | false                                             |
      | chatInfo                                | "#null"                                           |
      | meetingInfo                             | "#null"                                           |
    # The v1.0 page shows establishing and established only; real group calls (captures
    # GroupCalls/GroupCallEstablished.json, GroupCallBotJoin.json, GroupCallUserJoin.json) add a
    # roster of the bot alone, then one as each target joins. The stand-in follows them.
    And the bot receives notifications in order:
      | changeType | resourceUrl                                   | resourceData.state | resourceData.direction | resourceData[0].id        | resourceData[0].info.identity.user.displayName | resourceData[1].info.identity.user.displayName | resourceData[2].id        |
      | updated    | /communications/calls/${call.id}              | establishing       | "#notpresent"          |                           |                                                |                                                |                           |
      | updated    | /communications/calls/${call.id}              | established        | outgoing               |                           |                                                |                                                |                           |
      | updated    | /communications/calls/${call.id}/participants |                    |                        | "${call.myParticipantId}" |                                                |                                                |                           |
      | updated    | /communications/calls/${call.id}/participants |                    |                        |                           | user1                                          |                                                |                           |
      | updated    | /communications/calls/${call.id}/participants |                    |                        |                           | user1                                          | user2                                          | "${call.myParticipantId}" |
    And the bot receives no further notifications within 500 ms
