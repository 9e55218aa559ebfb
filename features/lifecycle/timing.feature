@lifecycle @mock-only
Feature: Timing and order on the stand-in's simulated clock
  A prompt lasts what the spec says (no wall time in mock mode); a tone needs an established,
  subscribed call; a targeted reorder holds one notification back until another was delivered;
  one action is throttled whatever comes before it.

  Scenario: A prompt of 6 seconds completes 6 seconds after it started
    Given the prompt "https://cdn.contoso.com/beep.wav" lasts 6 seconds
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state | resourceData.mediaState.audio |
      | establishing       |                               |
      | established        |                               |
      | established        | active                        |
    When the bot plays a prompt
    Then the bot receives notifications in order:
      | resourceUrl                                                  | resourceData.status | at    |
      | /communications/calls/${call.id}                             |                     |       |
      | /communications/calls/${call.id}                             |                     |       |
      | /communications/calls/${call.id}/participants                |                     |       |
      | /communications/calls/${call.id}/operations/${operation.id} | completed           | +7 s  |

  Scenario: A key pressed while the call is establishing is not notified
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    And the bot subscribes to tones
    And the callee presses 5
    Then the bot receives notifications in order:
      | resourceData.state | resourceData.mediaState.audio |
      | establishing       |                               |
      | established        |                               |
      | established        | active                        |
    And the bot receives notifications in order:
      | resourceUrl                                   | resourceData.toneInfo |
      | /communications/calls/${call.id}              |                       |
      | /communications/calls/${call.id}              |                       |
      | /communications/calls/${call.id}/participants |                       |
    And the bot receives no further notifications within 5 seconds

  Scenario: "established" is delivered before "establishing"
    Given the stand-in delivers "established" before "establishing"
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state | resourceData.mediaState.audio |
      | established        |                               |
      | establishing       |                               |
      | established        | active                        |

  Scenario: Graph throttles the bot's next playPrompt alone
    Given Graph throttles the bot's next microsoft.graph.playPrompt with Retry-After 2
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response status is 201
    When the bot plays a prompt
    Then the response is the Graph error 429 "TooManyRequests"
    And the response header "Retry-After" is "2"
    When the bot plays a prompt
    Then the response status is 200

  Scenario: The key press is delivered after the hang-up
    Given the stand-in delivers the key press after the hang-up
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    And the bot subscribes to tones
    Then the bot receives notifications in order:
      | resourceData.state | resourceData.mediaState.audio |
      | establishing       |                               |
      | established        |                               |
      | established        | active                        |
    When the callee presses 5
    And the callee hangs up after 1 second
    Then the bot receives notifications in order:
      | changeType | resourceData.state | resourceData.toneInfo.tone |
      | updated    |                    |                            |
      | updated    |                    |                            |
      | updated    |                    |                            |
      | deleted    | terminated         |                            |
      | updated    | established        | tone5                      |

  Scenario: Only the next notification is delivered twice
    Given the stand-in delivers the next notification twice
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state | resourceData.mediaState.audio |
      | establishing       |                               |
      | establishing       |                               |
      | established        |                               |
      | established        | active                        |
