# A POST expected to hold more notifications than it did: the POST, $.value and its items.
# expect: And notification POST 2 held 2 notifications
# expect: notification POST 2: $.value holds 1 notification(s), expected 2
# expect: - updated /communications/calls/
# expect: state=established
Feature: Must fail - envelope size
  Scenario: Unbatched notifications are expected two to a POST
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
    And notification POST 2 held 2 notifications
