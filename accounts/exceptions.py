class AccountError(Exception):
    """A rule about accounts was broken; the message is shown to the user."""


class WrongPassword(AccountError):
    pass
