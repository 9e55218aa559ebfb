@lifecycle @incoming @mock-only
Feature: Someone calls the bot
  The stand-in sends a "created" notification with state incoming; the bot must answer, reject
  or redirect within 15 seconds, else the call ends (408/0, the stand-in's code).

  Scenario: The bot answers an incoming call
    When "John" calls the bot
    Then the bot receives notifications in order:
      """
      - changeType: created
        resourceUrl: /communications/calls/${call.id}
        resourceData:
          "@odata.type": "#microsoft.graph.call"
          state: incoming
          direction: incoming
          source:
            # Real created items name the caller's participant id (comms-samples #596).
            id: "#uuid"
            identity:
              user:
                displayName: John
          targets:
            - identity:
                application:
                  id: "${app_id}"
      """
    When the bot answers the call
    Then the response status is 202
    # Real items name the direction only on established, and the media update follows
    # (captures P2PTest1Event2, Event3); from a Teams caller it names the call's chat and the
    # tenant (comms-samples #700).
    And the bot receives notifications in order:
      | changeType | resourceData.state | resourceData.direction | resourceData.mediaState.audio | resourceData.chatInfo.threadId | resourceData.tenantId |
      | updated    | establishing       | "#notpresent"          |                               | "#notpresent"                  | "#notpresent"         |
      | updated    | established        | incoming               |                               | "#notpresent"                  | "#notpresent"         |
      | updated    | established        | "#notpresent"          | active                        | "#regex ^19:[0-9a-f-]{36}$"    | "${call.tenantId}"    |
    And the bot receives no further notifications within 1 minute

  Scenario: A PSTN caller is rejected as busy
    When "+12345678901" calls the bot
    Then the bot receives notifications in order:
      | changeType | resourceData.state | resourceData.source.identity.phone.id |
      | created    | incoming           | "+12345678901"                        |
    When the bot rejects the call with reason "busy"
    Then the response status is 202
    And the bot receives notifications in order:
      | changeType | resourceData.state | resourceData.resultInfo.code |
      | deleted    | terminated         | 603                          |
    When the bot answers the call
    Then the response is the Graph error 404 "8522"

  Scenario: The bot redirects the call to a colleague
    When "John" calls the bot
    And the bot redirects the call to "Alice" with a timeout of 10 seconds
    Then the response is the Graph error 400 "BadRequest"
    And the response error message is "The redirect timeout must be between 15 and 90 seconds."
    When the bot redirects the call to "Alice" with a timeout of 30 seconds
    Then the response status is 202
    And the bot receives notifications in order:
      | changeType | resourceData.state |
      | created    | incoming           |
      | deleted    | terminated         |

  Scenario: The bot does nothing: the call ends after 15 seconds
    When "John" calls the bot
    Then the bot receives notifications in order:
      | changeType | resourceData.state |
      | created    | incoming           |
    And the bot receives no further notifications within 14 seconds
    And the bot receives notifications in order within 2 seconds:
      | changeType | resourceData.state | resourceData.resultInfo.code |
      | deleted    | terminated         | 408                          |

  Scenario: An unknown reject reason is refused
    When "John" calls the bot
    And the bot sends "reject" with:
      """
      reason: grumpy
      """
    Then the response is the Graph error 400 "BadRequest"
