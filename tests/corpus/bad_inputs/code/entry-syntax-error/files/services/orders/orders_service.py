from flotilla import Plugin

plugin = Plugin("orders"
