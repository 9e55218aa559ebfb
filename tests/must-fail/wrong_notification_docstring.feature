# A full notification pattern (docstring) that must fail, with its path and a diff.
# expect: notification 2 does not match
# expect: notification 2.changeType: expected "deleted", got "updated"
Feature: Must fail - notification pattern
  Scenario: The second notification is expected to be a deletion
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      """
      - changeType: updated
        resourceUrl: /communications/calls/${call.id}
      - changeType: deleted
        resourceUrl: /communications/calls/${call.id}
      """
