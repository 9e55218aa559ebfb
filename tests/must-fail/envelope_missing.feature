# A POST that never came.
# expect: And notification POST 4 held 1 notification
# expect: notification POST 4 has not arrived: 3 POST(s) so far carried:
# expect: 1. updated /communications/calls/
Feature: Must fail - envelope that never came
  Scenario: A peer-to-peer call to a phone is expected to POST four times
    Given a call request from template "v1/p2p-pstn-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
      | established        |
    And notification POST 4 held 1 notification
