@lifecycle @group @mock-only
Feature: Someone in a group call shares their screen
  A content sharing session starts (GET contentSharingSessions lists it,
  contentsharingsession-get.md) and the roster shows the sharer's screen-sharing stream sending.

  Scenario: user1 shares her screen
    Given a call request from template "v1/group-call-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state | resourceData[1].info.identity.user.displayName |
      | /communications/calls/${call.id}              | establishing       |                                                |
      | /communications/calls/${call.id}              | established        |                                                |
      | /communications/calls/${call.id}/participants |                    |                                                |
      | /communications/calls/${call.id}/participants |                    |                                                |
      | /communications/calls/${call.id}/participants |                    | user2                                          |
    When "user1" shares her screen
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData[0].info.identity.user.displayName | resourceData[0].mediaStreams[2].mediaType | resourceData[0].mediaStreams[2].direction |
      | /communications/calls/${call.id}/participants | user1                                          | videoBasedScreenSharing                   | sendOnly                                  |
    When the bot gets "/v1.0/communications/calls/${call.id}/contentSharingSessions"
    Then the response status is 200
    And the response has:
      | path                     | value                                    |
      | value[0].["@odata.type"] | "#microsoft.graph.contentSharingSession" |
      | value[0].id              | "#uuid"                                  |
    And the bot receives no further notifications within 500 ms

  Scenario: A call that asked for content-sharing notifications is told when a session starts and ends
    # application-post-calls.md example 1: "Notification - content sharing started" / "ended".
    Given a call request from template "v1/group-call-service-hosted"
    And the request sets:
      | path                                            | value                                  |
      | callOptions["@odata.type"]                      | "#microsoft.graph.outgoingCallOptions" |
      | callOptions.isContentSharingNotificationEnabled | true                                   |
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state | resourceData[1].info.identity.user.displayName |
      | /communications/calls/${call.id}              | establishing       |                                                |
      | /communications/calls/${call.id}              | established        |                                                |
      | /communications/calls/${call.id}/participants |                    |                                                |
      | /communications/calls/${call.id}/participants |                    |                                                |
      | /communications/calls/${call.id}/participants |                    | user2                                          |
    When "user1" shares her screen
    Then the bot receives notifications in order:
      | changeType | resourceUrl                                             | resourceData[0].["@odata.type"]        | resourceData[0].mediaStreams[2].direction |
      | updated    | /communications/calls/${call.id}/participants           | #microsoft.graph.participant           | sendOnly                                  |
      | created    | /communications/calls/${call.id}/contentsharingsessions | #microsoft.graph.contentSharingSession |                                           |
    When the bot gets "/v1.0/communications/calls/${call.id}/contentSharingSessions"
    Then the response status is 200
    And the response has:
      | path           | value   |
      | value[0].id    | "#uuid" |
    When "user1" stops sharing her screen
    Then the bot receives notifications in order:
      | changeType | resourceUrl                                             | resourceData[0].["@odata.type"]        | resourceData[0].mediaStreams[2].direction |
      | updated    | /communications/calls/${call.id}/participants           | #microsoft.graph.participant           | receiveOnly                               |
      | deleted    | /communications/calls/${call.id}/contentsharingsessions | #microsoft.graph.contentSharingSession |                                           |
    When the bot gets "/v1.0/communications/calls/${call.id}/contentSharingSessions"
    Then the response status is 200
    And the response has:
      | path  | value |
      | value | []    |

  @p2p
  Scenario: A bot that answered with content-sharing notifications is told when the caller shares
    When "John" calls the bot
    And the bot sends "answer" with:
      """
      callbackUri: ${callback_uri}
      acceptedModalities: [audio]
      mediaConfig:
        "@odata.type": "#microsoft.graph.serviceHostedMediaConfig"
      callOptions:
        "@odata.type": "#microsoft.graph.incomingCallOptions"
        isContentSharingNotificationEnabled: true
      """
    Then the response status is 202
    And the bot's notifications eventually include:
      | resourceData.state |
      | established        |
    When "John" shares his screen
    Then the bot's notifications eventually include:
      | changeType | resourceUrl                                             | resourceData[0].["@odata.type"]        |
      | created    | /communications/calls/${call.id}/contentsharingsessions | #microsoft.graph.contentSharingSession |
