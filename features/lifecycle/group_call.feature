@lifecycle @group @mock-only
Feature: Each target of a group call answers on its own
  As in real group calls (tests/fixtures/captures, GroupCalls/*), the bot's own leg is
  established first and the bot gets a roster of itself alone; everyone who joins later, or
  leaves, reaches the bot as a roster update (the participants list, the bot last). When only
  the bot remains, the call ends with 200/5010. A target answering after the ringing timeout
  never joins.

  Background:
    Given a call request from template "v1/group-call-service-hosted"

  Scenario: One target answers at once, the other after 5 seconds, then hangs up
    Given "user2" answers after 5 seconds
    And "user2" hangs up after 20 seconds
    When the bot creates the call
    Then the bot receives notifications in order:
      | changeType | resourceUrl                                   | resourceData.state | resourceData[0].id        | resourceData[0].info.identity.user.displayName | resourceData[1].info.identity.user.displayName | resourceData[2].id        |
      | updated    | /communications/calls/${call.id}              | establishing       |                           |                                                |                                                |                           |
      | updated    | /communications/calls/${call.id}              | established        |                           |                                                |                                                |                           |
      | updated    | /communications/calls/${call.id}/participants |                    | "${call.myParticipantId}" |                                                |                                                |                           |
      | updated    | /communications/calls/${call.id}/participants |                    |                           | user1                                          |                                                |                           |
      | updated    | /communications/calls/${call.id}/participants |                    |                           | user1                                          | user2                                          | "${call.myParticipantId}" |
      | updated    | /communications/calls/${call.id}/participants |                    |                           | user1                                          |                                                | "#notpresent"             |
    And the bot receives no further notifications within 2 minutes

  Scenario: One target declines, the other answers
    Given "user1" declines
    And "user2" answers after 3 seconds
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state | resourceData[0].info.identity.user.displayName |
      | /communications/calls/${call.id}              | establishing       |                                                |
      | /communications/calls/${call.id}              | established        |                                                |
      | /communications/calls/${call.id}/participants |                    | "#notpresent"                                  |
      | /communications/calls/${call.id}/participants |                    | user2                                          |
    And the bot receives no further notifications within 2 minutes

  Scenario: The last target hangs up: only the bot remains and the call ends
    Given "user1" declines
    And "user2" hangs up after 10 seconds
    When the bot creates the call
    Then the bot receives notifications in order within 1 minute:
      | changeType | resourceUrl                                   | resourceData.state | resourceData.resultInfo.code | resourceData.resultInfo.subcode | resourceData.resultInfo.message                                                                                 | resourceData.meetingInfo["@odata.type"] |
      | updated    | /communications/calls/${call.id}              | establishing       |                              |                                 |                                                                                                                 |                                         |
      | updated    | /communications/calls/${call.id}              | established        |                              |                                 |                                                                                                                 |                                         |
      | updated    | /communications/calls/${call.id}/participants |                    |                              |                                 |                                                                                                                 |                                         |
      | updated    | /communications/calls/${call.id}/participants |                    |                              |                                 |                                                                                                                 |                                         |
      | deleted    | /communications/calls/${call.id}              | terminated         | 200                          | 5010                            | This conversation has ended as only one participant was remaining in the conversation.. DiagCode: 0#5010.@ | "#microsoft.graph.tokenMeetingInfo"     |
    When the bot hangs up
    Then the response is the Graph error 404 "8522"

  Scenario: Nobody answers: the call ends at the ringing timeout
    Given the callee does not answer
    When the bot creates the call
    Then the bot receives notifications in order within 2 minutes:
      | changeType | resourceData.state | resourceData.resultInfo.code | resourceData.resultInfo.subcode |
      | updated    | establishing       |                              |                                 |
      | updated    | established        |                              |                                 |
      | updated    |                    |                              |                                 |
      | deleted    | terminated         | 408                          | 10057                           |

  Scenario: A target answering after the ringing timeout never joins
    Given "user1" declines
    And "user2" answers after 70 seconds
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state |
      | /communications/calls/${call.id}              | establishing       |
      | /communications/calls/${call.id}              | established        |
      | /communications/calls/${call.id}/participants |                    |
    # The roster came at 1 s; the ringing timeout is 60 s after the create.
    And the bot receives no further notifications within 58 seconds
    And the bot receives notifications in order within 2 seconds:
      | changeType | resourceData.state | resourceData.resultInfo.subcode |
      | deleted    | terminated         | 10057                           |
    And the bot receives no further notifications within 1 minute

  Scenario: One target answers in time, the other too late: only the first joins
    Given "user2" answers after 70 seconds
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state | resourceData[0].info.identity.user.displayName | resourceData[1].id        |
      | /communications/calls/${call.id}              | establishing       |                                                |                           |
      | /communications/calls/${call.id}              | established        |                                                |                           |
      | /communications/calls/${call.id}/participants |                    | "#notpresent"                                  |                           |
      | /communications/calls/${call.id}/participants |                    | user1                                          | "${call.myParticipantId}" |
    And the bot receives no further notifications within 2 minutes
