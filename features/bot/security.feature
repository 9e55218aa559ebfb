@bot
Feature: The bot acts only on notifications Graph signed for it
  Anyone can POST to a bot's webhook: a bot must check the token on every notification (its
  signature against Graph's published keys, its issuer, its audience, its validity window) and
  refuse, with 401, one that Graph did not sign for this app.

  Scenario Outline: A notification <how> is refused with 401 and acted on in no way
    When the stand-in sends the bot a notification <how>
    Then the bot answers the notification with 401
    And the bot makes no further requests within 2 seconds

    Examples:
      | how                                               |
      | signed with a forged key                          |
      | signed with another key under a published key id  |
      | signed with another key and no key id             |
      | with an unsigned token                            |
      | signed with HS256 and the public key              |
      | with an expired token                             |
      | with a token not yet valid                        |
      | for another app                                   |
      | from another issuer                               |
      | with no token                                     |

  Scenario: A forged key press in the middle of a call is refused; the real one is acted on
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    And the bot makes no further requests within 3 seconds
    Given the stand-in sends the next notification signed with another key under a published key id
    When "John" presses 1
    Then the bot refuses the notification
    And the bot makes no further requests within 2 seconds
    When "John" presses 1
    Then the bot transfers the call to "Alice"

  Scenario: A forged hang-up does not make the bot forget the call
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    Given the stand-in sends the next notification signed with another key under a published key id
    When a forged hang-up of the call reaches the bot
    Then the bot answers the notification with 401
    When "John" presses 1
    Then the bot transfers the call to "Alice"

  Scenario: While every notification is forged the bot acts on none; signed validly again, it does
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot subscribes to tones
    Given the stand-in signs notifications with a forged key
    When a forged hang-up of the call reaches the bot
    Then the bot answers the notification with 401
    Given the stand-in signs notifications validly again
    When "John" presses 2
    Then the bot plays the prompt "https://example.com/goodbye.wav"
    And the bot hangs up
    And the bot has acknowledged the "deleted" notification
