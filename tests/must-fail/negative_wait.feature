# A negative wait gets a refusal naming it, not "Step doesn't match any function".
# expect: Then the bot receives notifications in order within -5 seconds:
# expect: "-5 seconds" is not a duration: the amount must be a whole number, 0 or more
Feature: Must fail - negative wait
  Scenario: Waits -5 seconds
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order within -5 seconds:
      | resourceData.state |
      | establishing       |
