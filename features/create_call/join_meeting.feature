@v1 @meeting
Feature: Join a scheduled meeting (v1.0 Create call, examples 5 and 6)
  The bot joins Bob's scheduled Teams meeting through POST /v1.0/communications/calls, naming
  the meeting by its chat thread (chatInfo) and its organizer (meetingInfo). The request names
  no source: the service fills in the calling application. In example 5 the service hosts the
  media, in example 6 the application does. Establishing and established echo the meeting's
  chat and meetingInfo; an update with the media follows, then a roster notification listing
  the organizer and the bot.

  Scenario: Example 5 - join a scheduled meeting with service-hosted media
    Given the app has the permissions "Calls.JoinGroupCall.All"
    And a call request from template "v1/join-meeting-service-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the response matches "responses/v1/call-establishing.yaml"
    And the response matches "responses/common/app-source.yaml"
    And the response matches "responses/v1/meeting-bob.yaml"
    And the response has:
      | path                                    | value                                |
      | tenantId                                | 86dc81db-c112-4228-9222-63f3esaa1edb |
      | callbackUri                             | https://bot.contoso.com/callback     |
      | requestedModalities                     | [audio]                              |
      | mediaConfig.preFetchMedia[0].uri        | https://cdn.contoso.com/beep.wav     |
      | mediaConfig.preFetchMedia[1].resourceId | 86dc814b-c172-4428-9112-60f8ecae1edb |
      | subject                                 | "#null"                              |
    And the bot receives notifications in order from "notifications/v1/join-meeting-bob.yaml"
    And the bot receives no further notifications within 500 ms

  Scenario: Example 6 - join a scheduled meeting with application-hosted media
    The roster is the fourth notification: organizer Bob first, then the bot under its own
    participant id; nobody waits in the lobby. Establishing and established echo the meeting's
    chat and a typed meetingInfo, as real meeting joins do (comms-samples #95, #405, #632) and
    the 2021 v1.0 page shows; the media update comes between them and the roster.

    Given the app has the permissions "Calls.JoinGroupCall.All, Calls.AccessMedia.All"
    And a call request from template "v1/join-meeting-app-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the response matches "responses/v1/call-establishing.yaml"
    And the response matches "responses/common/app-source.yaml"
    And the response matches "responses/v1/meeting-bob.yaml"
    And the response has:
      | path                       | value                                   |
      | tenantId                   | "${tenant_id}"                          |
      | mediaConfig["@odata.type"] | "#microsoft.graph.appHostedMediaConfig" |
    And the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state | resourceData.chatInfo.messageId | resourceData.meetingInfo.organizer.user.displayName | resourceData[0].info.identity.user.displayName | resourceData[0].isInLobby | resourceData[1].id        | resourceData[1].info.identity.application.id | resourceData[1].isInLobby |
      | /communications/calls/${call.id}              | establishing       | "0"                             | Bob                                                 |                                                |                           |                           |                                              |                           |
      | /communications/calls/${call.id}              | established        | "0"                             | Bob                                                 |                                                |                           |                           |                                              |                           |
      | /communications/calls/${call.id}              | established        | "#notpresent"                   | "#notpresent"                                       |                                                |                           |                           |                                              |                           |
      | /communications/calls/${call.id}/participants |                    |                                 |                                                     | Bob                                            | false                     | "${call.myParticipantId}" | "${app_id}"                                  | false                     |
    And the bot receives no further notifications within 500 ms
