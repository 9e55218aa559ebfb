# expect: expected status 201, got 401
# expect: Access token is empty.
# expect: InvalidAuthenticationToken
Feature: Must fail - the stand-in refuses a request without a token
  Scenario: The bot forgets its token
    Given the bot sends no token
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response status is 201
