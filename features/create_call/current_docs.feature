@v1 @current-docs @mock-only
Feature: Requests of the current Create call pages
  The current v1.0 and beta Create call pages (microsoft-graph-docs-contrib,
  application-post-calls.md) document more request shapes than the 2019-2021 pages: joins by
  joinMeetingId and by token without chatInfo, callOptions, PSTN calls only from an application
  instance, a ringing timeout of at most 115 seconds, and read-only fields a request may carry.
  Mock only: the joins name the pages' sample meetings, and the refusals' messages are the
  stand-in's own.

  @meeting
  Scenario: Example 7 - join by joinMeetingId and passcode, without chatInfo
    Given the app has the permissions "Calls.JoinGroupCall.All"
    And a call request from template "v1/join-meeting-id"
    When the bot creates the call
    Then the response status is 201
    And the response matches:
      """
      state: establishing
      callRoutes: []
      activeModalities: []
      routingPolicies: []
      terminationReason: null
      meetingCapability: null
      chatInfo:
        "@odata.type": "#microsoft.graph.chatInfo"
        threadId: "#regex 19:meeting_.+@thread[.]v2"
        messageId: "0"
        replyChainMessageId: null
      meetingInfo:
        "@odata.type": "#microsoft.graph.joinMeetingIdMeetingInfo"
        joinMeetingId: "1234567"
        passcode: psw123
      """
    And the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state | resourceData.meetingInfo.joinMeetingId | resourceData[0].info.identity.user.displayName | resourceData[1].id        |
      | /communications/calls/${call.id}              | establishing       |                                        |                                                |                           |
      | /communications/calls/${call.id}              | established        |                                        |                                                |                           |
      | /communications/calls/${call.id}              | established        | "#notpresent"                          |                                                |                           |
      | /communications/calls/${call.id}/participants |                    |                                        | Organizer                                      | "${call.myParticipantId}" |

  @meeting
  Scenario: Example 8 - join by joinMeetingId without a passcode
    Given a call request from template "v1/join-meeting-id"
    And the request sets "meetingInfo.passcode" to "null"
    When the bot creates the call
    Then the response status is 201
    And the response has:
      | path                 | value |
      | meetingInfo.passcode | null  |

  @meeting
  Scenario: Join by a meeting token
    Given a call request from template "v1/join-meeting-token"
    When the bot creates the call
    Then the response status is 201
    And the response has:
      | path                       | value                               |
      | meetingInfo["@odata.type"] | "#microsoft.graph.tokenMeetingInfo" |
      | chatInfo.messageId         | "0"                                 |

  @meeting
  Scenario Outline: A join whose meetingInfo lacks what its type needs (<what>)
    Given a call request from template "<template>"
    And the request removes "<path>"
    When the bot creates the call
    Then the response is the Graph error 400 "BadRequest"
    And the response error message is "<message>"

    Examples:
      | what          | template             | path                      | message                                    |
      | joinMeetingId | v1/join-meeting-id    | meetingInfo.joinMeetingId | A joinMeetingIdMeetingInfo needs joinMeetingId. |
      | token         | v1/join-meeting-token | meetingInfo.token         | A tokenMeetingInfo needs token.            |

  @meeting
  Scenario: An unknown meetingInfo type is refused with the types Graph knows
    Given a call request from template "v1/join-meeting-token"
    And the request sets:
      | path                       | value                          |
      | meetingInfo["@odata.type"] | "#microsoft.graph.meetingInfo" |
    When the bot creates the call
    Then the response is the Graph error 400 "BadRequest"
    And the response matches:
      """
      error:
        message: "#regex Unknown meetingInfo type .*tokenMeetingInfo.*joinMeetingIdMeetingInfo.*"
      """

  @p2p
  Scenario: Example 1 of the current page - callOptions with content-sharing notifications
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the request sets:
      | path                                          | value                                  |
      | callOptions["@odata.type"]                    | "#microsoft.graph.outgoingCallOptions" |
      | callOptions.isContentSharingNotificationEnabled | true                                 |
      | callOptions.hideBotAfterEscalation            | false                                  |
      | callOptions.isDeltaRosterEnabled              | true                                   |
      | callOptions.isInteractiveRosterEnabled        | true                                   |
    When the bot creates the call
    Then the response status is 201
    And the response has:
      | path                                            | value |
      | callOptions.isContentSharingNotificationEnabled | true  |

  @p2p
  Scenario Outline: callOptions Graph refuses (<what>)
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the request sets:
      | path   | value   |
      | <path> | <value> |
    When the bot creates the call
    Then the response is the Graph error 400 "BadRequest"
    And the response matches:
      """
      error:
        message: "#regex .*callOptions.*"
      """

    Examples:
      | what                 | path                               | value                                  |
      | not an object        | callOptions                        | yes                                    |
      | another type         | callOptions["@odata.type"]         | "#microsoft.graph.incomingCallOptions" |
      | a flag not a boolean | callOptions.hideBotAfterEscalation | "sometimes"                            |

  @pstn
  Scenario: A PSTN call from the application rather than an application instance is refused
    Given a call request from template "v1/p2p-pstn-service-hosted"
    And the request removes "source"
    When the bot creates the call
    Then the response is the Graph error 400 "BadRequest"
    And the response matches:
      """
      error:
        message: "#regex .*applicationInstance.*"
      """

  @p2p
  Scenario Outline: ringingTimeoutInSeconds <value> is within Graph's bounds
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the request sets "ringingTimeoutInSeconds" to "<value>"
    When the bot creates the call
    Then the response status is 201
    And the response has:
      | path                    | value   |
      | ringingTimeoutInSeconds | <value> |

    Examples:
      | value |
      | 1     |
      | 115   |

  @p2p
  Scenario Outline: ringingTimeoutInSeconds <value> is refused
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the request sets:
      | path                    | value   |
      | ringingTimeoutInSeconds | <value> |
    When the bot creates the call
    Then the response is the Graph error 400 "BadRequest"
    And the response matches:
      """
      error:
        message: "#regex ringingTimeoutInSeconds must be a whole number from 1 to 115.*"
      """

    Examples:
      | value |
      | 0     |
      | 116   |
      | -5    |
      | 30.5  |
      | "60"  |

  @p2p
  Scenario: Read-only fields a request carries are ignored
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the request sets:
      | path                             | value                                        |
      | transcription                    | {state: active}                              |
      | incomingContext                  | {sourceParticipantId: someone}               |
      | callRoutes                       | [{routingType: forwarded}]                   |
      | terminationReason                | hung up                                      |
    When the bot creates the call
    Then the response status is 201
    And the response has:
      | path              | value |
      | transcription     | null  |
      | incomingContext   | "#notpresent" |
      | callRoutes        | []    |
      | terminationReason | null  |
