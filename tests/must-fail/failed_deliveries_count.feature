# expect: expected 0 failed deliveries, the stand-in recorded 3 (of 3 deliveries)
# expect: answered 503
Feature: Must fail - failed deliveries
  Scenario: The callback fails but the spec expects clean deliveries
    Given the bot's callback answers 503
    And a call request from template "v1/p2p-pstn-service-hosted"
    When the bot creates the call
    Then the bot receives no further notifications within 1 minute
    And the stand-in recorded 0 failed deliveries
