@errors @faults @mock-only
Feature: Graph throttles, fails, or answers late
  Steps make the stand-in answer the next requests with 429 and a Retry-After, with 500 or 503,
  or late; and an optional rate limit throttles an app that sends too much.

  Background:
    Given a call request from template "v1/p2p-voip-service-hosted"

  Scenario: Throttled once, then the retry goes through
    Given Graph throttles the next request with Retry-After 3
    When the bot creates the call
    Then the response is the Graph error 429 "TooManyRequests"
    And the response header "Retry-After" is "3"
    And the bot receives no further notifications within 1 minute
    When the bot creates the call
    Then the response status is 201

  Scenario: Throttled twice in a row
    Given Graph throttles the next 2 requests with Retry-After 1
    When the bot creates the call
    Then the response is the Graph error 429 "TooManyRequests"
    When the bot creates the call
    Then the response is the Graph error 429 "TooManyRequests"
    When the bot creates the call
    Then the response status is 201

  Scenario: Service unavailable
    Given Graph answers the next request with 503
    When the bot creates the call
    Then the response is the Graph error 503 "serviceNotAvailable"
    And the response header "Retry-After" matches "#regex [0-9]+"

  Scenario: Internal error
    Given Graph answers the next request with 500
    When the bot creates the call
    Then the response is the Graph error 500 "generalException"

  Scenario: A fault for a trillion requests is a count, not a queue
    Given Graph answers the next 1000000000000 requests with 500
    When the bot creates the call
    Then the response is the Graph error 500 "generalException"
    When the bot creates the call
    Then the response is the Graph error 500 "generalException"

  Scenario: A late answer
    Given Graph answers the next request 300 ms late
    When the bot creates the call
    Then the response status is 201
    And the response took at least 300 ms

  Scenario: The app goes over its rate limit
    Given Graph limits the app to 2 requests per 10 seconds
    When the bot creates the call
    Then the response status is 201
    When the bot gets the call
    Then the response status is 200
    When the bot gets the call
    Then the response is the Graph error 429 "TooManyRequests"
    And the response header "Retry-After" matches "#regex ([1-9]|10)"
