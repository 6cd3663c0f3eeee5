from UnleashClient import UnleashClient

from app.flags import client

unleash = UnleashClient(url="http://unleash", app_name="shop")


def search(query):
    if client.get_boolean_value("legacy_search", False):
        return legacy_index(query)
    elif client.get_boolean_value("search_v2", False):
        return v2_index(query)
    return basic_index(query)


def summarize(results):
    if client.get_boolean_value("ai_summary", False) and results:
        return summary_of(results)
    if unleash.is_enabled("ghost_feature"):
        return "ghost"
    return None


def legacy_index(q):
    return [q]


def v2_index(q):
    return [q, q]


def basic_index(q):
    return []


def summary_of(results):
    return str(results)
