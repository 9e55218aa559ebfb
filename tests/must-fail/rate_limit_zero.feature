# A limit of 0 requests is refused, not read as "no limit".
# expect: Given Graph limits the app to 0 requests per 10 seconds
# expect: a rate limit of "0" requests is not one
Feature: Must fail - zero rate limit
  Scenario: The app may send 0 requests
    Given Graph limits the app to 0 requests per 10 seconds
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
