# Notifications in the wrong order.
# expect: notification 1 does not match
# expect: wrong order: expected notification 1 arrived as notification 2
# expect: notification 1.resourceData.state: expected "established", got "establishing"
Feature: Must fail - wrong order
  Scenario: Established is expected before establishing
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | established        |
      | establishing       |
