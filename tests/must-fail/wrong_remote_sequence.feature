# A scripted callee that does not answer must not produce "established".
# expect: notification 2 does not match
# expect: notification 2.resourceData.state: expected "established", got "terminated"
Feature: Must fail - scripted remote side
  Scenario: Established is expected from a callee who never answers
    Given the callee does not answer
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order within 2 minutes:
      | resourceData.state |
      | establishing       |
      | established        |
