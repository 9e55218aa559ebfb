@lifecycle @guest @mock-only
Feature: A bot joining as a guest waits in the lobby
  The bot sees only itself, isInLobby true, until the meeting lets it in; then it gets the
  meeting's roster (the bot last, as real rosters list it). After established come the
  updates every meeting join gets (media, chat, meeting). Denied, it is dropped (403/0, the stand-in's code); left waiting, it is
  dropped at the lobby timeout (200/5855).

  Background:
    Given a call request from template "beta/join-channel-meeting-as-guest"
    And the request sets "callbackUri" to "https://bot.contoso.com/api/calls"

  Scenario: Admitted after 5 seconds; a participant who joined meanwhile shows up only then
    Given the meeting admits the bot from the lobby after 5 seconds
    And "Alice" joins the meeting after 3 seconds
    When the bot creates the call
    Then the bot receives notifications in order:
      | resource                           | resourceData.state | resourceData[0].isInLobby | resourceData[2].isInLobby | resourceData[1].info.identity.user.displayName |
      | /app/calls/${call.id}              | establishing       |                           |                           |                                                |
      | /app/calls/${call.id}              | established        |                           |                           |                                                |
      | /app/calls/${call.id}              | established        |                           |                           |                                                |
      | /app/calls/${call.id}/participants |                    | true                      | "#notpresent"             |                                                |
      | /app/calls/${call.id}/participants |                    | false                     | false                     | Alice                                          |
    And the bot receives no further notifications within 20 minutes

  Scenario: Denied entry
    Given the meeting denies the bot entry after 4 seconds
    When the bot creates the call
    Then the bot receives notifications in order:
      | changeType | resourceData.state | resourceData[0].isInLobby | resourceData.resultInfo.code |
      | updated    | establishing       |                           |                              |
      | updated    | established        |                           |                              |
      | updated    | established        |                           |                              |
      | updated    |                    | true                      |                              |
      | deleted    | terminated         |                           | 403                          |

  Scenario: Nobody admits the bot: it is dropped at the lobby timeout
    Given nobody admits the bot from the lobby
    And "Alice" joins the meeting after 1 minute
    When the bot creates the call
    Then the bot receives notifications in order within 20 minutes:
      | changeType | resourceData.state | resourceData[0].isInLobby | resourceData.resultInfo.code | resourceData.resultInfo.subcode |
      | updated    | establishing       |                           |                              |                                 |
      | updated    | established        |                           |                              |                                 |
      | updated    | established        |                           |                              |                                 |
      | updated    |                    | true                      |                              |                                 |
      | deleted    | terminated         |                           | 200                          | 5855                            |
    And the bot receives no further notifications within 1 hour
