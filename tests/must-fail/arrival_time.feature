# An arrival time in simulated time: the failure names the notification and lists every
# arrival with its time after the create.
# expect: notification 2 (updated /communications/calls/
# expect: arrived 50 s after the create, expected 30 s (simulated time)
# expect: 1. +0 s: updated
# expect: 2. +50 s: updated
@mock-only
Feature: Must fail - arrival time
  Scenario: The callee answers later than the spec says
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the callee answers after 50 seconds
    When the bot creates the call
    Then notification 2 arrived 30 seconds after the create
