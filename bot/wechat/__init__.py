"""WeChat Official Account (公众号): what the channel (channels/wechat.py) needs that is not Rasa's.

- callback.py: one callback opened — signature, freshness, nonce never seen, safe mode (AES),
  XML read by a hardened parser, the message as wechatpy reads it.
- api.py: the WeChat API client (wechatpy) with the access token shared by every replica (the
  store), refreshed on expiry or revocation and the call retried once.
- config.py, menu.yml, templates.yml: the custom menu and the per-kind template messages.
- outgoing.py: the outbox sender: customer-service message inside the window, template outside,
  ChannelCannotDeliver (SMS fallback) when there is no template for the notice's kind.
- cli.py: `python -m bot wechat menu install|show`.
"""
