# A YAML error in a docstring points at the feature file's own line and column (the
# docstring's indentation counted).
# expect: malformed_docstring.feature:13:41: did not find expected ',' or ']', while parsing a flow sequence at line 13 column 36
Feature: Must fail - malformed YAML in a docstring
  Scenario: A flow sequence is never closed
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response matches:
         """
         id: "#uuid"
         targets:
           - identity:
               user: {displayName: [Jane}
         """
