# The Graph error step compares the code, not only the status: 8523 is not BadRequest.
# expect: not the Graph error 400 BadRequest
# expect: $.error.code: expected "BadRequest", got "8523"
# expect: "message": "Missing mediaConfig information."
Feature: Must fail - wrong Graph error code
  Scenario: A missing mediaConfig is expected to be a plain bad request
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the request removes "mediaConfig"
    When the bot creates the call
    Then the response is the Graph error 400 "BadRequest"
