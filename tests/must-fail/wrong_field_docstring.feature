# A body pattern (docstring form) that must fail, with its path and a diff.
# expect: the response body does not match the docstring (1 mismatch)
# expect: $.targets[0].identity.user.displayName: expected "Jane", got "John"
# expect: Diff (- expected, + actual)
Feature: Must fail - wrong field in a docstring pattern
  Scenario: The callee's name is wrong
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response matches:
      """
      id: "#uuid"
      targets:
        - identity:
            user:
              displayName: Jane
      """
