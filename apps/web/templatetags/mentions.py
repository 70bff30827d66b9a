from django import template
from django.utils.safestring import SafeString

from apps.web.find import highlight_mentions

register = template.Library()


@register.filter
def mentions(html: str) -> SafeString:
    """`{{ m.body|linebreaks|mentions }}`: the `@username`s of a message, highlighted."""
    return highlight_mentions(html)
