# "matches exactly" must refuse keys the pattern does not name.
# expect: $.callChainId: expected (absent), got
# expect: $.myParticipantId: expected (absent), got
Feature: Must fail - exact match with extra keys
  Scenario: A partial pattern is not an exact match
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response matches exactly:
      """
      id: "#uuid"
      state: establishing
      """
