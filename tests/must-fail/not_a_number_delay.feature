# A delay that is not a number gets a refusal naming it.
# expect: Given the callee answers after abc seconds
# expect: "abc seconds" is not a duration: the amount must be a whole number, 0 or more
Feature: Must fail - a delay that is not a number
  Scenario: The callee answers after abc seconds
    Given the callee answers after abc seconds
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
