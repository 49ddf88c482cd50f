from flotilla import Plugin

plugin = Plugin("users")
