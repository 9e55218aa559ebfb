# Someone already in the meeting is in the first roster: a spec that says otherwise fails there.
# expect: notification 4 does not match
# expect: notification 4.resourceData[1].info.identity.user.displayName: expected absent, got "John"
Feature: Must fail - already in the meeting
  Scenario: John is expected to be missing from the first roster
    Given a call request from template "v1/join-meeting-service-hosted"
    And "John" is already in the meeting
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state | resourceData[1].info.identity.user.displayName |
      | establishing       |                                                |
      | established        |                                                |
      | established        |                                                |
      |                    | "#notpresent"                                  |
