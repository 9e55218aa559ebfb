# A notification that never comes: what was expected, what arrived, after how long.
# expect: expected 4 notifications for call
# expect: 3 arrived within 2000 ms (simulated time)
# expect: 1. updated /communications/calls/
# expect: state=establishing
# expect: 2. updated /communications/calls/
# expect: state=established
Feature: Must fail - missing notification
  Scenario: A peer-to-peer call to a phone is expected to send a roster too
    Given a call request from template "v1/p2p-pstn-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order within 2000 ms:
      | resourceData.state |
      | establishing       |
      | established        |
      | established        |
      |                    |
