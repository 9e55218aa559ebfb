# "in any order" must fail when an expected notification is not among the next ones.
# expect: the next 2 notifications do not match in any order
# expect: expected 2 matches no notification; closest is "updated /communications/calls/
# expect: expected 2.resourceData.state: expected "terminated", got "establishing"
Feature: Must fail - any order
  Scenario: A termination is expected among the first two notifications
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in any order:
      | resourceData.state |
      | establishing       |
      | terminated         |
