# The `at` column of a notifications table: the failure names the notification, both times
# and every arrival with its time after the create.
# expect: notification 2 (updated /communications/calls/
# expect: arrived +45 s after the create, the table's `at` says +40 s (simulated time)
# expect: 2. +45 s: updated
@mock-only
Feature: Must fail - an arrival time in the notifications table
  Scenario: The callee answers later than the table says
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the callee answers after 45 seconds
    When the bot creates the call
    Then the bot receives notifications in order within 1 minute:
      | at    | resourceData.state |
      | +0 s  | establishing       |
      | +40 s | established        |
