# A `within` window starts with its step: a notification due 30 s after the create is not
# within 29 seconds of a step that starts at the create.
# expect: expected 2 notifications for call
# expect: 1 arrived within 29000 ms (simulated time)
@mock-only
Feature: Must fail - a within window too short by one second
  Scenario: The callee answers after 30 seconds, the spec waits 29
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the callee answers after 30 seconds
    When the bot creates the call
    Then the bot receives notifications in order within 29 seconds:
      | resourceData.state |
      | establishing       |
      | established        |
