@errors @mock-only
Feature: Create-call bodies the stand-in cannot read
  Before it looks at what a create asks for, the stand-in reads the body: it must be sent as
  application/json (else 415 UnsupportedMediaType), be at most 64 KiB (else 413
  RequestEntityTooLarge), and be a JSON object (else 400 BadRequest). The codes are the
  stand-in's choice, the envelope is Graph's. A refused create makes no call and sends nothing.

  Scenario: A body sent as text/plain
    Given the request header "Content-Type" is "text/plain"
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response is the Graph error 415 "UnsupportedMediaType"
    And the bot receives no further notifications within 500 ms

  Scenario Outline: A body sent as <content type>
    Given the request header "Content-Type" is "<content type>"
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response is the Graph error 415 "UnsupportedMediaType"

    Examples:
      | content type                      |
      | application/x-www-form-urlencoded |
      | application/jsonp                 |
      | text/json                         |

  Scenario Outline: application/json with parameters or in another case is JSON (<content type>)
    Given the request header "Content-Type" is "<content type>"
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response status is 201

    Examples:
      | content type                    |
      | application/json; charset=utf-8 |
      | Application/JSON                |

  Scenario: A body that is not JSON
    When the bot posts to "/v1.0/communications/calls" with the body:
      """
      {"callbackUri": "https://bot.contoso.com/callback", "targets": [
      """
    Then the response is the Graph error 400 "BadRequest"
    And the bot receives no further notifications within 500 ms

  Scenario: A JSON array of calls
    When the bot posts to "/v1.0/communications/calls" with the body:
      """
      [{"callbackUri": "https://bot.contoso.com/callback",
        "targets": [{"identity": {"user": {"id": "112f7296-5fa4-42ca-bae8-6a692b15d4b8"}}}],
        "requestedModalities": ["audio"],
        "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"}}]
      """
    Then the response is the Graph error 400 "BadRequest"
    And the response matches:
      """
      error:
        message: "#regex .*JSON object.*"
      """
    And the bot receives no further notifications within 500 ms

  Scenario Outline: JSON that is not an object (<body>)
    When the bot posts to "/v1.0/communications/calls" with the body:
      """
      <body>
      """
    Then the response is the Graph error 400 "BadRequest"

    Examples:
      | body                               |
      | null                               |
      | 42                                 |
      | "https://bot.contoso.com/callback" |
      | true                               |

  Scenario: An empty body
    When the bot posts to "/v1.0/communications/calls" with the body:
      """
      """
    Then the response is the Graph error 400 "BadRequest"

  Scenario: A body of exactly 64 KiB is read
    The template's JSON is exactly 65536 bytes.

    Given the app has the permissions "Calls.Initiate.All"
    And a call request from template "errors/body-at-limit"
    When the bot creates the call
    Then the response status is 201
    And the response has:
      | path       | value                                                        |
      | tail       | "012345678901234567890123456789012345678"                    |
      | padding    | "#array"                                                     |
      | padding[8] | 0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab |

  Scenario: A body one byte over 64 KiB
    Given the app has the permissions "Calls.Initiate.All"
    And a call request from template "errors/body-over-limit"
    When the bot creates the call
    Then the response is the Graph error 413 "RequestEntityTooLarge"
    And the bot receives no further notifications within 500 ms

  Scenario: The Content-Type is checked before the body is parsed
    Given the request header "Content-Type" is "text/plain"
    When the bot posts to "/v1.0/communications/calls" with the body:
      """
      not json at all
      """
    Then the response is the Graph error 415 "UnsupportedMediaType"
