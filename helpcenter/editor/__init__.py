"""Editors' workspace: write, translate, review and publish articles in the staff console."""
