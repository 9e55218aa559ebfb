@lifecycle @meeting @mock-only
Feature: Others join and leave the meeting the bot is in
  Each change reaches the bot as a roster update: the participants array as it is now, the
  bot last (as real rosters list it; tests/fixtures/captures).

  Scenario: Alice joins after 3 seconds and leaves after 10
    Given a call request from template "v1/join-meeting-service-hosted"
    And "Alice" joins the meeting after 3 seconds
    And "Alice" leaves the meeting after 10 seconds
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state | resourceData       | resourceData[1].info.identity.user.displayName | resourceData[2].id        |
      | /communications/calls/${call.id}              | establishing       |                    |                                                |                           |
      | /communications/calls/${call.id}              | established        |                    |                                                |                           |
      | /communications/calls/${call.id}              | established        |                    |                                                |                           |
      | /communications/calls/${call.id}/participants |                    | "#array"           |                                                |                           |
      | /communications/calls/${call.id}/participants |                    |                    | Alice                                          | "${call.myParticipantId}" |
      | /communications/calls/${call.id}/participants |                    |                    | "#notpresent"                                  | "#notpresent"             |
    And the bot receives no further notifications within 1 minute

  Scenario: Bob joins while the bot is in the meeting
    Given a call request from template "v1/join-meeting-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
      | established        |
      |                    |
    When "Carol" joins the meeting after 2 seconds
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData[1].info.identity.user.displayName | resourceData[1].isInLobby |
      | /communications/calls/${call.id}/participants | Carol                                          | false                     |
    When "Carol" leaves the meeting
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData[2] |
      | /communications/calls/${call.id}/participants | "#notpresent"   |

  Scenario: John was in the meeting before the bot came
    Given a call request from template "v1/join-meeting-service-hosted"
    And "John" is already in the meeting
    And "Alice" joins the meeting after 3 seconds
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state | resourceData[0].info.identity.user.displayName | resourceData[1].info.identity.user.displayName | resourceData[2].id        | resourceData[3].id        |
      | /communications/calls/${call.id}              | establishing       |                                                |                                                |                           |                           |
      | /communications/calls/${call.id}              | established        |                                                |                                                |                           |                           |
      | /communications/calls/${call.id}              | established        |                                                |                                                |                           |                           |
      | /communications/calls/${call.id}/participants |                    | Bob                                            | John                                           | "${call.myParticipantId}" | "#notpresent"             |
      | /communications/calls/${call.id}/participants |                    | Bob                                            | John                                           |                           | "${call.myParticipantId}" |
    And the bot receives no further notifications within 1 minute
