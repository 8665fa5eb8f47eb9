"""Reading forms out of pages, to post them back as a browser would."""

from html.parser import HTMLParser


def admin_form_data(response) -> dict:
    """The values of the admin's change form as a browser would post them back."""

    class Fields(HTMLParser):
        def __init__(self):
            super().__init__()
            self.data: dict = {}
            self._select = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            name = attrs.get("name")
            if tag == "input" and name and attrs.get("type") not in ("submit", "file", "button"):
                if attrs.get("type") in ("checkbox", "radio"):
                    if "checked" in attrs:
                        self.data.setdefault(name, [])
                        self.data[name].append(attrs.get("value", "on"))
                else:
                    self.data[name] = attrs.get("value", "")
            elif tag == "textarea" and name:
                self.data[name] = ""
                self._textarea = name
            elif tag == "select" and name:
                self._select = name
            elif tag == "option" and self._select and "selected" in attrs:
                self.data.setdefault(self._select, [])
                self.data[self._select].append(attrs.get("value", ""))

        def handle_data(self, data):
            if getattr(self, "_textarea", None):
                self.data[self._textarea] += data

        def handle_endtag(self, tag):
            if tag == "select":
                self._select = None
            if tag == "textarea":
                self._textarea = None

    parser = Fields()
    parser.feed(response.content.decode())
    return {k: v for k, v in parser.data.items() if "__prefix__" not in k}
