"""The tickets blueprint: it carries the ticket templates (the player's emails)."""

from flask import Blueprint

bp = Blueprint("tickets", __name__, template_folder="templates")
