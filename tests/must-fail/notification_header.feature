# A header check over every notification that must fail.
# expect: notification 1: header X-Microsoft-Skype-Chain-ID is "
# expect: expected #regex not-a-chain-id
Feature: Must fail - notification header
  Scenario: The chain id header is expected to be something else
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
    And every notification has the header "X-Microsoft-Skype-Chain-ID" matching "#regex not-a-chain-id"
