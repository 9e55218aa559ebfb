# Notifications in the wrong order.
# expect: notification 1 does not match what position 1 expects (resourceData.state=established)
# expect: wrong order: what position 1 expects arrived as notification 2
# expect: 2. +1.000 s updated /communications/calls/
# expect: notification 1.resourceData.state: expected "established", got "establishing"
Feature: Must fail - wrong order
  Scenario: Established is expected before establishing
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | established        |
      | establishing       |
