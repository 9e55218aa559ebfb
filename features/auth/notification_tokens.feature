@auth
Feature: Notifications are signed the way Graph signs them
  Every notification carries "Authorization: Bearer <jwt>" signed RS256 by the stand-in: issuer
  https://api.botframework.com, audience the bot's app id, a tid claim, a short expiry. The inbox
  checks each token against the stand-in's published key. A step makes the stand-in send forged
  or expired tokens, for bots that must refuse them.

  Background:
    Given a call request from template "v1/p2p-voip-service-hosted"

  Scenario: Notifications are signed for the app
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
    And every notification has the header "Authorization" matching "#regex Bearer [A-Za-z0-9_-]+[.][A-Za-z0-9_-]+[.][A-Za-z0-9_-]+"
    And every notification carries a token signed for the app

  @mock-only
  Scenario Outline: Tokens a bot must refuse: <kind>
    Given the stand-in signs notifications with <kind>
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
    And no notification carries a valid token for the app

    Examples:
      | kind             |
      | a forged key     |
      | an expired token |

  @mock-only
  Scenario: The stand-in publishes its OpenID configuration and keys
    When the bot gets "/v1/.well-known/openidconfiguration"
    Then the response status is 200
    And the response matches:
      """
      issuer: https://api.botframework.com
      jwks_uri: "${graph}/v1/.well-known/keys"
      id_token_signing_alg_values_supported: ["RS256"]
      """
    When the bot gets "/v1/.well-known/keys"
    Then the response matches:
      """
      keys:
        - kty: RSA
          alg: RS256
          use: sig
          kid: "#string"
          n: "#string"
          e: AQAB
      """
