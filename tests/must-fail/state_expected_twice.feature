# A state expected twice: the message says what position 2 expects and lists what arrived,
# with simulated arrival times, instead of a misleading "wrong order". (Established really does
# arrive twice: the media update after it, see FIDELITY.md; establishing never does.)
# expect: notification 2 does not match what position 2 expects (resourceData.state=establishing)
# expect: the only notification like it is notification 1, which position 1 of the table already expects: is it expected twice?
# expect: arrived in this order (simulated time):
# expect: 1. +0.000 s updated /communications/calls/
# expect: 2. +1.000 s updated /communications/calls/
# expect: 3. +1.000 s updated /communications/calls/
# expect: tests/must-fail/state_expected_twice.feature:16:5
Feature: Must fail - a state expected twice
  Scenario: Establishing is expected twice before the hang-up
    Given the callee hangs up after 2 seconds
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | establishing       |
      | established        |
