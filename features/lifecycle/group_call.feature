@lifecycle @group @mock-only
Feature: Each target of a group call answers on its own
  The call is established by the first answer; everyone who joins later, or leaves, reaches the
  bot as a roster update (the participants list, the bot included).

  Background:
    Given a call request from template "v1/group-call-service-hosted"

  Scenario: One target answers at once, the other after 5 seconds, then hangs up
    Given "user2" answers after 5 seconds
    And "user2" hangs up after 20 seconds
    When the bot creates the call
    Then the bot receives notifications in order:
      | changeType | resourceUrl                                   | resourceData.state | resourceData[1].info.identity.user.displayName | resourceData[2].info.identity.user.displayName |
      | updated    | /communications/calls/${call.id}              | establishing       |                                                |                                                |
      | updated    | /communications/calls/${call.id}              | established        |                                                |                                                |
      | updated    | /communications/calls/${call.id}/participants |                    | user1                                          | user2                                          |
      | updated    | /communications/calls/${call.id}/participants |                    | user1                                          | "#notpresent"                                  |
    And the bot receives no further notifications within 2 minutes

  Scenario: One target declines, the other answers
    Given "user1" declines
    And "user2" answers after 3 seconds
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
    And the bot receives no further notifications within 2 minutes

  Scenario: Nobody answers: the call ends at the ringing timeout
    Given the callee does not answer
    When the bot creates the call
    Then the bot receives notifications in order within 2 minutes:
      | changeType | resourceData.state | resourceData.resultInfo.code | resourceData.resultInfo.subcode |
      | updated    | establishing       |                              |                                 |
      | deleted    | terminated         | 408                          | 10057                           |
