# A hang-up delay that would overflow the simulated clock is refused at the step, before the
# stand-in sees it.
# expect: Given the callee hangs up after 18446744073709551615 seconds
# expect: "18446744073709551615 seconds" is too long: durations are at most 365 days
Feature: Must fail - a hang-up delay that overflows
  Scenario: The callee hangs up after u64::MAX seconds
    Given the callee hangs up after 18446744073709551615 seconds
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response status is 201
