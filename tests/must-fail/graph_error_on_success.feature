# A call that is created is not a Graph error: the step names the status and the missing envelope.
# expect: not the Graph error 400 8523
# expect: status: expected 400, got 201
# expect: $.error: expected an object, got (absent)
# expect: answered 201:
Feature: Must fail - a Graph error expected, a call created
  Scenario: The documented request is expected to lack its mediaConfig
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response is the Graph error 400 "8523"
