# A notification the spec did not expect.
# (A meeting join goes on after established: the media update, the roster.)
# expect: expected no further notifications within 500 ms, but 2 more arrived
# expect: 3. updated /communications/calls/
# expect: 4. updated /communications/calls/
# expect: 2 participant(s)
Feature: Must fail - extra notification
  Scenario: A meeting join is expected to stop after established
    Given a call request from template "v1/join-meeting-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
    And the bot receives no further notifications within 500 ms
